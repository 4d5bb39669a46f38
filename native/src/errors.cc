#include "errors.h"

#include <sys/ioctl.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>

namespace pfs {

namespace {

// Our own table rather than glibc's strerrorname_np (2.32+): the ARM builds must
// also load on boards with an older glibc. These are the errnos the calls here can
// meet; anything else reads "E<number>" and still has its strerror text.
struct ErrnoEntry {
  int value;
  const char* name;
};
#define PFS_E(x) {x, #x}
const ErrnoEntry kErrnos[] = {
    PFS_E(EPERM),  PFS_E(ENOENT),    PFS_E(ESRCH),     PFS_E(EINTR),      PFS_E(EIO),       PFS_E(ENXIO),
    PFS_E(E2BIG),  PFS_E(EBADF),     PFS_E(EAGAIN),    PFS_E(ENOMEM),     PFS_E(EACCES),    PFS_E(EFAULT),
    PFS_E(EBUSY),  PFS_E(EEXIST),    PFS_E(EXDEV),     PFS_E(ENODEV),     PFS_E(ENOTDIR),   PFS_E(EISDIR),
    PFS_E(EINVAL), PFS_E(ENFILE),    PFS_E(EMFILE),    PFS_E(ENOTTY),     PFS_E(ETXTBSY),   PFS_E(EFBIG),
    PFS_E(ENOSPC), PFS_E(ESPIPE),    PFS_E(EROFS),     PFS_E(EPIPE),      PFS_E(ERANGE),    PFS_E(ENOSYS),
    PFS_E(EOVERFLOW), PFS_E(EBADMSG), PFS_E(EOPNOTSUPP), PFS_E(ETIMEDOUT), PFS_E(EREMOTEIO), PFS_E(EUCLEAN),
    PFS_E(ENODATA), PFS_E(ECANCELED), PFS_E(EHOSTDOWN), PFS_E(ENOMSG),    PFS_E(EPROTO),    PFS_E(ENOLINK),
};
#undef PFS_E

[[noreturn]] void ThrowWithCode(Napi::Error error, const char* code) {
  error.Set("code", Napi::String::New(error.Env(), code));
  throw error;
}

std::string Describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsString()) return "a string";
  if (v.IsBoolean()) return "a boolean";
  if (v.IsArray()) return "an array";
  if (v.IsNumber()) return "a number";
  if (v.IsFunction()) return "a function";
  if (v.IsObject()) return "an object";
  return "a " + std::string(v.IsBigInt() ? "bigint" : v.IsSymbol() ? "symbol" : "value");
}

std::string Where(const char* fn, const char* name) { return std::string(fn) + "(): " + name; }

// A JS number that is an integer in [min, max], or a TypeError/RangeError naming it.
int64_t CheckInt(const Napi::Env& env, const Napi::Value& v, const std::string& what, int64_t min, int64_t max) {
  if (!v.IsNumber()) ThrowType(env, what + " must be a number, got " + Describe(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d)
    ThrowRange(env, what + " must be an integer, got " + v.ToString().Utf8Value());
  if (d < static_cast<double>(min) || d > static_cast<double>(max))
    ThrowRange(env, what + " must be in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " +
                        v.ToString().Utf8Value());
  return static_cast<int64_t>(d);
}

}  // namespace

std::string ErrnoName(int err) {
  for (const auto& e : kErrnos)
    if (e.value == err) return e.name;
  return "E" + std::to_string(err);
}

Napi::Error ErrnoError(const Napi::Env& env, const char* op, const std::string& path, int err) {
  std::string name = ErrnoName(err);
  Napi::Error error = Napi::Error::New(env, std::string(op) + " " + path + ": " + name + " (" + strerror(err) + ")");
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", Napi::String::New(env, op));
  error.Set("path", Napi::String::New(env, path));
  error.Set("code", Napi::String::New(env, name));
  return error;
}

void ThrowErrno(const Napi::Env& env, const char* op, const std::string& path, int err) {
  throw ErrnoError(env, op, path, err);
}

void ThrowType(const Napi::Env& env, const std::string& message) {
  ThrowWithCode(Napi::TypeError::New(env, message), "ERR_INVALID_ARG_TYPE");
}

void ThrowRange(const Napi::Env& env, const std::string& message) {
  ThrowWithCode(Napi::RangeError::New(env, message), "ERR_OUT_OF_RANGE");
}

int FdArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  return static_cast<int>(CheckInt(info.Env(), info[i], Where(fn, name), 0, INT_MAX));
}

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (!info[i].IsString()) ThrowType(info.Env(), Where(fn, name) + " must be a string, got " + Describe(info[i]));
  return info[i].As<Napi::String>().Utf8Value();
}

int64_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, int64_t min, int64_t max,
               bool optional, int64_t fallback) {
  if (optional && info[i].IsUndefined()) return fallback;
  return CheckInt(info.Env(), info[i], Where(fn, name), min, max);
}

std::vector<int64_t> IntArrayArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name,
                                 size_t maxLen, int64_t min, int64_t max, bool booleans) {
  Napi::Env env = info.Env();
  if (!info[i].IsArray()) ThrowType(env, Where(fn, name) + " must be an array, got " + Describe(info[i]));
  Napi::Array a = info[i].As<Napi::Array>();
  if (a.Length() > maxLen)
    ThrowRange(env, Where(fn, name) + " may hold at most " + std::to_string(maxLen) + " entries, got " +
                        std::to_string(a.Length()));
  std::vector<int64_t> out;
  out.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    Napi::Value v = a.Get(k);
    std::string what = Where(fn, name) + "[" + std::to_string(k) + "]";
    if (booleans && v.IsBoolean())
      out.push_back(v.As<Napi::Boolean>().Value() ? 1 : 0);
    else
      out.push_back(CheckInt(env, v, what, min, max));
  }
  return out;
}

Target TargetArgs(const Napi::CallbackInfo& info, const char* fn) {
  Target t;
  t.fd = FdArg(info, 0, fn, "fd");
  t.path = StringArg(info, 1, fn, "path");
  return t;
}

int Ioctl(int fd, unsigned long request, void* arg) {
  int r;
  do r = ioctl(fd, request, arg);
  while (r == -1 && errno == EINTR);
  return r;
}

}  // namespace pfs
