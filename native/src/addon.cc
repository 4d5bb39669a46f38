// The module's entry point: each concern (one .cc file) adds its functions.
// The interface, as TypeScript sees it, is PfsNative in src/hal/native.ts.
#include "errors.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  pfs::InitFb(env, exports);
  pfs::InitMmap(env, exports);
  pfs::InitMtd(env, exports);
  pfs::InitGpio(env, exports);
  pfs::InitI2c(env, exports);
  pfs::InitTermios(env, exports);
  pfs::InitWriteback(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(pfs_native, Init)
