// Raw flash through the MTD character device /dev/mtdN: its geometry (MEMGETINFO),
// erasing (MEMERASE, MEMERASE64 past 4 GiB) and bad-block queries (MEMGETBADBLOCK).
// Reads and writes are plain read()/write() on the fd, done in JavaScript.
#include <sys/ioctl.h>  // _IOW for the MEM* requests: mtd-abi.h does not include it

#include <mtd/mtd-abi.h>

#include <cerrno>
#include <cstdint>

#include "errors.h"

namespace pfs {

namespace {

constexpr int64_t kMaxSafe = (int64_t{1} << 53) - 1;

// mtdInfo(fd, path): MtdInfo
Napi::Value MtdInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Target t = TargetArgs(info, "mtdInfo");
  mtd_info_user mi{};
  if (Ioctl(t.fd, MEMGETINFO, &mi) == -1) ThrowErrno(env, "MEMGETINFO", t.path, errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", mi.type);
  o.Set("flags", mi.flags);
  o.Set("size", mi.size);
  o.Set("eraseSize", mi.erasesize);
  o.Set("writeSize", mi.writesize);
  o.Set("oobSize", mi.oobsize);
  return o;
}

// mtdErase(fd, path, offset, length): the kernel checks the erase-size alignment
// (EINVAL) and reports a failed erase as EIO.
Napi::Value MtdErase(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Target t = TargetArgs(info, "mtdErase");
  int64_t offset = IntArg(info, 2, "mtdErase", "offset", 0, kMaxSafe);
  int64_t length = IntArg(info, 3, "mtdErase", "length", 1, kMaxSafe);
  if (offset + length <= int64_t{UINT32_MAX}) {
    erase_info_user e{static_cast<uint32_t>(offset), static_cast<uint32_t>(length)};
    if (Ioctl(t.fd, MEMERASE, &e) == -1) ThrowErrno(env, "MEMERASE", t.path, errno);
  } else {
    erase_info_user64 e{static_cast<uint64_t>(offset), static_cast<uint64_t>(length)};
    if (Ioctl(t.fd, MEMERASE64, &e) == -1) ThrowErrno(env, "MEMERASE64", t.path, errno);
  }
  return env.Undefined();
}

// mtdIsBad(fd, path, offset): boolean. NOR flash has no bad blocks: always false.
Napi::Value MtdIsBad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Target t = TargetArgs(info, "mtdIsBad");
  __kernel_loff_t offset = IntArg(info, 2, "mtdIsBad", "offset", 0, kMaxSafe);
  int r = Ioctl(t.fd, MEMGETBADBLOCK, &offset);
  if (r == -1) ThrowErrno(env, "MEMGETBADBLOCK", t.path, errno);
  return Napi::Boolean::New(env, r > 0);
}

}  // namespace

void InitMtd(Napi::Env env, Napi::Object exports) {
  exports.Set("mtdInfo", Napi::Function::New(env, MtdInfo, "mtdInfo"));
  exports.Set("mtdErase", Napi::Function::New(env, MtdErase, "mtdErase"));
  exports.Set("mtdIsBad", Napi::Function::New(env, MtdIsBad, "mtdIsBad"));
}

}  // namespace pfs
