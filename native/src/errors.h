// Errors and argument checks shared by every concern of the addon.
//
// A failed system call becomes a JS Error whose message reads
// "<op> <path>: <ERRNO_NAME> (<strerror>)" and which carries `code` (the errno name,
// e.g. "ENOTTY"), `errno` (negative, as Node's own fs errors), `syscall` (= op) and
// `path`. Bad arguments become TypeError / RangeError with Node's codes
// (ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE). All are thrown as C++ exceptions
// (NAPI_CPP_EXCEPTIONS, see binding.gyp) and reach JavaScript as exceptions.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace pfs {

// The errno error described above. `err` is the errno value.
Napi::Error ErrnoError(const Napi::Env& env, const char* op, const std::string& path, int err);
// Throws it.
[[noreturn]] void ThrowErrno(const Napi::Env& env, const char* op, const std::string& path, int err);

// Throws a TypeError / RangeError with a Node-style code.
[[noreturn]] void ThrowType(const Napi::Env& env, const std::string& message);
[[noreturn]] void ThrowRange(const Napi::Env& env, const std::string& message);

// The errno's symbolic name ("ENOTTY"), or "E<number>" for one not in the table.
std::string ErrnoName(int err);

// Argument `i` (0-based) of the call `fn`, checked:
// a file descriptor: an integer in [0, INT_MAX];
int FdArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
// a string;
std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
// an integer in [min, max] (both within ±2^53); `undefined` gives `fallback` when
// `optional` is set;
int64_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, int64_t min, int64_t max,
               bool optional = false, int64_t fallback = 0);
// an array of at most `maxLen` integers in [min, max]; booleans count as 0/1 when
// `booleans` is set.
std::vector<int64_t> IntArrayArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name,
                                 size_t maxLen, int64_t min, int64_t max, bool booleans = false);

// The standard (fd, path) pair every call starts with.
struct Target {
  int fd;
  std::string path;
};
Target TargetArgs(const Napi::CallbackInfo& info, const char* fn);

// ioctl() retried on EINTR.
int Ioctl(int fd, unsigned long request, void* arg);

// Each concern adds its functions to the exports.
void InitFb(Napi::Env env, Napi::Object exports);
void InitMmap(Napi::Env env, Napi::Object exports);
void InitMtd(Napi::Env env, Napi::Object exports);
void InitGpio(Napi::Env env, Napi::Object exports);
void InitI2c(Napi::Env env, Napi::Object exports);
void InitTermios(Napi::Env env, Napi::Object exports);
void InitWriteback(Napi::Env env, Napi::Object exports);

}  // namespace pfs
