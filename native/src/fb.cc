// Framebuffer geometry: FBIOGET_VSCREENINFO + FBIOGET_FSCREENINFO on /dev/fbN.
// The pixels themselves are reached by mmap() (mmap.cc) of smemLen bytes.
#include <linux/fb.h>

#include <cerrno>

#include "errors.h"

namespace pfs {

namespace {

Napi::Object Bitfield(Napi::Env env, const fb_bitfield& b) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("offset", b.offset);
  o.Set("length", b.length);
  return o;
}

// fbInfo(fd, path): FbInfo
Napi::Value FbInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Target t = TargetArgs(info, "fbInfo");
  fb_var_screeninfo var{};
  fb_fix_screeninfo fix{};
  if (Ioctl(t.fd, FBIOGET_VSCREENINFO, &var) == -1) ThrowErrno(env, "FBIOGET_VSCREENINFO", t.path, errno);
  if (Ioctl(t.fd, FBIOGET_FSCREENINFO, &fix) == -1) ThrowErrno(env, "FBIOGET_FSCREENINFO", t.path, errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("xres", var.xres);
  o.Set("yres", var.yres);
  o.Set("xresVirtual", var.xres_virtual);
  o.Set("yresVirtual", var.yres_virtual);
  o.Set("bitsPerPixel", var.bits_per_pixel);
  o.Set("lineLength", fix.line_length);
  o.Set("smemLen", fix.smem_len);
  o.Set("red", Bitfield(env, var.red));
  o.Set("green", Bitfield(env, var.green));
  o.Set("blue", Bitfield(env, var.blue));
  o.Set("transp", Bitfield(env, var.transp));
  return o;
}

}  // namespace

void InitFb(Napi::Env env, Napi::Object exports) {
  exports.Set("fbInfo", Napi::Function::New(env, FbInfo, "fbInfo"));
}

}  // namespace pfs
