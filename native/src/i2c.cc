// I2C through /dev/i2c-N (the ssd1306 display): I2C_SLAVE picks the device the
// following read()/write() on the fd talk to.
#include <linux/i2c-dev.h>
#include <sys/ioctl.h>

#include <cerrno>

#include "errors.h"

namespace pfs {

namespace {

// i2cSetAddress(fd, path, address): 7-bit address.
Napi::Value I2cSetAddress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Target t = TargetArgs(info, "i2cSetAddress");
  long address = static_cast<long>(IntArg(info, 2, "i2cSetAddress", "address", 0, 0x7f));
  int r;
  do r = ioctl(t.fd, I2C_SLAVE, address);
  while (r == -1 && errno == EINTR);
  if (r == -1) ThrowErrno(env, "I2C_SLAVE", t.path, errno);
  return env.Undefined();
}

}  // namespace

void InitI2c(Napi::Env env, Napi::Object exports) {
  exports.Set("i2cSetAddress", Napi::Function::New(env, I2cSetAddress, "i2cSetAddress"));
}

}  // namespace pfs
