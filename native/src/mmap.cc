// mmap() of a device (the framebuffer) or a file into a Buffer, and msync().
//
// The Buffer is an external one over the mapping: no copy, writes go straight to the
// device. Its finalizer munmap()s when the garbage collector frees the Buffer, so
// the caller must keep the Buffer (or a view onto it) reachable for as long as it
// draws; there is deliberately no explicit munmap, which would leave live Buffers
// pointing at unmapped memory (a crash on the next access).
#include <sys/mman.h>
#include <fcntl.h>  // AT_EMPTY_PATH
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "errors.h"

namespace pfs {

namespace {

constexpr int64_t kMaxSafe = (int64_t{1} << 53) - 1;

// mmap(fd, path, length, offset = 0): Buffer
Napi::Value Mmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Target t = TargetArgs(info, "mmap");
  int64_t length = IntArg(info, 2, "mmap", "length", 1, kMaxSafe);
  int64_t offset = IntArg(info, 3, "mmap", "offset", 0, kMaxSafe, true, 0);
  long page = sysconf(_SC_PAGESIZE);
  if (offset % page != 0)
    ThrowRange(env, "mmap(): offset must be a multiple of the page size (" + std::to_string(page) + "), got " +
                        std::to_string(offset));
  if (static_cast<uint64_t>(length) > SIZE_MAX || static_cast<uint64_t>(offset) > static_cast<uint64_t>(INT64_MAX))
    ThrowRange(env, "mmap(): length " + std::to_string(length) + " does not fit this machine's address space");
  // A regular file must cover the whole mapping: touching a mapped page past its
  // end raises SIGBUS, which would kill the process instead of throwing.
  // statx, not fstat: glibc 2.33 made fstat a versioned symbol of its own, and the
  // ARM builds must load on boards with an older glibc (Node 20 needs only 2.28).
  struct statx st;
  if (statx(t.fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, &st) == -1) ThrowErrno(env, "mmap", t.path, errno);
  if (S_ISREG(st.stx_mode) && static_cast<uint64_t>(offset + length) > st.stx_size)
    ThrowRange(env, "mmap " + t.path + ": offset " + std::to_string(offset) + " + length " + std::to_string(length) +
                        " is past the end of the file (" + std::to_string(st.stx_size) + " bytes)");
  void* p = mmap(nullptr, static_cast<size_t>(length), PROT_READ | PROT_WRITE, MAP_SHARED, t.fd,
                 static_cast<off_t>(offset));
  if (p == MAP_FAILED) ThrowErrno(env, "mmap", t.path, errno);
  size_t len = static_cast<size_t>(length);
  return Napi::Buffer<uint8_t>::New(env, static_cast<uint8_t*>(p), len,
                                    [len](Napi::Env, uint8_t* data) { munmap(data, len); });
}

// msync(buffer, path): MS_SYNC of the pages under a Buffer from mmap() (or a view
// of one): for a file, the bytes are on the medium when it returns. `path` is only
// for the error message.
Napi::Value Msync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) ThrowType(env, "msync(): buffer must be a Buffer from mmap()");
  std::string path = StringArg(info, 1, "msync", "path");
  Napi::TypedArray view = info[0].As<Napi::TypedArray>();
  uint8_t* base = static_cast<uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
  size_t len = view.ByteLength();
  if (len == 0) return env.Undefined();
  uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t start = reinterpret_cast<uintptr_t>(base) & ~(page - 1);
  size_t span = reinterpret_cast<uintptr_t>(base) + len - start;
  // An ordinary Buffer (anonymous memory) passes: there is nothing to write back.
  if (msync(reinterpret_cast<void*>(start), span, MS_SYNC) == -1) ThrowErrno(env, "msync", path, errno);
  return env.Undefined();
}

}  // namespace

void InitMmap(Napi::Env env, Napi::Object exports) {
  exports.Set("mmap", Napi::Function::New(env, Mmap, "mmap"));
  exports.Set("msync", Napi::Function::New(env, Msync, "msync"));
}

}  // namespace pfs
