// Write-behind for a file being downloaded: start the kernel's writeback of a range
// (sync_file_range with SYNC_FILE_RANGE_WRITE) without waiting for it, committing
// the file system's journal or flushing the device's cache, which fsync() does each
// time. The commit's fsync still puts everything on the medium; this only keeps the
// card busy during the download so that little is left for it.
#include <fcntl.h>

#include <cerrno>

#include "errors.h"

namespace pfs {

namespace {

// On libuv's thread pool: the call can block while the device's queue is full, and
// the event loop must not.
class WritebackWorker : public Napi::AsyncWorker {
 public:
  WritebackWorker(Napi::Env env, int fd, std::string path, int64_t offset, int64_t length)
      : Napi::AsyncWorker(env, "pfs.startWriteback"),
        deferred_(Napi::Promise::Deferred::New(env)),
        fd_(fd),
        path_(std::move(path)),
        offset_(offset),
        length_(length) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    int r;
    do r = sync_file_range(fd_, offset_, length_, SYNC_FILE_RANGE_WRITE);
    while (r == -1 && errno == EINTR);
    if (r == -1) err_ = errno;
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (err_ != 0)
      deferred_.Reject(ErrnoError(env, "sync_file_range", path_, err_).Value());
    else
      deferred_.Resolve(env.Undefined());
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  int fd_;
  std::string path_;
  int64_t offset_;
  int64_t length_;
  int err_ = 0;
};

// startWriteback(fd, path, offset, length): a Promise, settled once the writeback of
// [offset, offset + length) was started (length 0: to the end of the file).
Napi::Value StartWriteback(const Napi::CallbackInfo& info) {
  Target t = TargetArgs(info, "startWriteback");
  int64_t offset = IntArg(info, 2, "startWriteback", "offset", 0, (int64_t{1} << 53) - 1);
  int64_t length = IntArg(info, 3, "startWriteback", "length", 0, (int64_t{1} << 53) - 1);
  auto* w = new WritebackWorker(info.Env(), t.fd, t.path, offset, length);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace

void InitWriteback(Napi::Env env, Napi::Object exports) {
  exports.Set("startWriteback", Napi::Function::New(env, StartWriteback, "startWriteback"));
}

}  // namespace pfs
