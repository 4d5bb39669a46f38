// LEDs through the GPIO character device, uAPI v2 (Linux 5.10+): request lines of a
// /dev/gpiochipN as outputs (GPIO_V2_GET_LINE_IOCTL), then set their values on the
// returned line-request fd (GPIO_V2_LINE_SET_VALUES_IOCTL). The lines stay ours
// until that fd is closed (fs.closeSync in JavaScript).
#include <linux/gpio.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "errors.h"

namespace pfs {

namespace {

// gpioRequestOutputs(chipFd, path, offsets, consumer, values): line request fd
Napi::Value GpioRequestOutputs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "gpioRequestOutputs";
  Target t = TargetArgs(info, fn);
  std::vector<int64_t> offsets = IntArrayArg(info, 2, fn, "offsets", GPIO_V2_LINES_MAX, 0, UINT32_MAX);
  std::string consumer = StringArg(info, 3, fn, "consumer");
  std::vector<int64_t> values = IntArrayArg(info, 4, fn, "values", GPIO_V2_LINES_MAX, 0, 1, true);
  if (offsets.empty()) ThrowRange(env, std::string(fn) + "(): offsets must name at least one line");
  if (values.size() != offsets.size())
    ThrowRange(env, std::string(fn) + "(): values must have one entry per offset (" + std::to_string(offsets.size()) +
                        "), got " + std::to_string(values.size()));

  gpio_v2_line_request req;
  memset(&req, 0, sizeof req);
  uint64_t bits = 0, all = 0;
  for (size_t i = 0; i < offsets.size(); i++) {
    req.offsets[i] = static_cast<uint32_t>(offsets[i]);
    all |= uint64_t{1} << i;
    if (values[i]) bits |= uint64_t{1} << i;
  }
  req.num_lines = static_cast<uint32_t>(offsets.size());
  // The label shown by gpioinfo; the kernel's limit is 31 bytes, longer is cut.
  strncpy(req.consumer, consumer.c_str(), sizeof req.consumer - 1);
  req.config.flags = GPIO_V2_LINE_FLAG_OUTPUT;
  req.config.num_attrs = 1;
  req.config.attrs[0].attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
  req.config.attrs[0].attr.values = bits;
  req.config.attrs[0].mask = all;
  if (Ioctl(t.fd, GPIO_V2_GET_LINE_IOCTL, &req) == -1) ThrowErrno(env, "GPIO_V2_GET_LINE_IOCTL", t.path, errno);
  return Napi::Number::New(env, req.fd);
}

// gpioSetValues(lineFd, path, values): values[i] for the i-th requested line.
Napi::Value GpioSetValues(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "gpioSetValues";
  Target t = TargetArgs(info, fn);
  std::vector<int64_t> values = IntArrayArg(info, 2, fn, "values", GPIO_V2_LINES_MAX, 0, 1, true);
  if (values.empty()) ThrowRange(env, std::string(fn) + "(): values must name at least one line");
  gpio_v2_line_values v{};
  for (size_t i = 0; i < values.size(); i++) {
    v.mask |= uint64_t{1} << i;
    if (values[i]) v.bits |= uint64_t{1} << i;
  }
  if (Ioctl(t.fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &v) == -1)
    ThrowErrno(env, "GPIO_V2_LINE_SET_VALUES_IOCTL", t.path, errno);
  return env.Undefined();
}

}  // namespace

void InitGpio(Napi::Env env, Napi::Object exports) {
  exports.Set("gpioRequestOutputs", Napi::Function::New(env, GpioRequestOutputs, "gpioRequestOutputs"));
  exports.Set("gpioSetValues", Napi::Function::New(env, GpioSetValues, "gpioSetValues"));
}

}  // namespace pfs
