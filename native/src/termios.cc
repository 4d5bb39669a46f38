// The serial console's speed: termios raw 8N1 at a standard baud rate.
#include <termios.h>

#include <cerrno>

#include "errors.h"

namespace pfs {

namespace {

struct Speed {
  long baud;
  speed_t code;
};

const Speed kSpeeds[] = {
    {50, B50},         {75, B75},         {110, B110},       {134, B134},       {150, B150},
    {200, B200},       {300, B300},       {600, B600},       {1200, B1200},     {1800, B1800},
    {2400, B2400},     {4800, B4800},     {9600, B9600},     {19200, B19200},   {38400, B38400},
    {57600, B57600},   {115200, B115200}, {230400, B230400}, {460800, B460800}, {500000, B500000},
    {576000, B576000}, {921600, B921600}, {1000000, B1000000}, {1152000, B1152000}, {1500000, B1500000},
    {2000000, B2000000}, {2500000, B2500000}, {3000000, B3000000}, {3500000, B3500000}, {4000000, B4000000},
};

// setBaud(fd, path, baud): raw (no echo, no line editing, no CR/LF mapping), 8 data
// bits, no parity, 1 stop bit, no flow control, receiver on, modem lines ignored.
Napi::Value SetBaud(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Target t = TargetArgs(info, "setBaud");
  long baud = static_cast<long>(IntArg(info, 2, "setBaud", "baud", 1, 4000000));
  const Speed* speed = nullptr;
  for (const auto& s : kSpeeds)
    if (s.baud == baud) speed = &s;
  if (!speed) ThrowRange(env, "setBaud(): " + std::to_string(baud) + " is not a standard baud rate (9600, 115200, …)");
  termios tio{};
  if (tcgetattr(t.fd, &tio) == -1) ThrowErrno(env, "tcgetattr", t.path, errno);
  cfmakeraw(&tio);
  tio.c_cflag &= ~(CSIZE | PARENB | CSTOPB | CRTSCTS);
  tio.c_cflag |= CS8 | CREAD | CLOCAL;
  tio.c_iflag &= ~(IXON | IXOFF | IXANY);
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  if (cfsetispeed(&tio, speed->code) == -1 || cfsetospeed(&tio, speed->code) == -1)
    ThrowErrno(env, "cfsetspeed", t.path, errno);
  int r;
  do r = tcsetattr(t.fd, TCSANOW, &tio);
  while (r == -1 && errno == EINTR);
  if (r == -1) ThrowErrno(env, "tcsetattr", t.path, errno);
  return env.Undefined();
}

}  // namespace

void InitTermios(Napi::Env env, Napi::Object exports) {
  exports.Set("setBaud", Napi::Function::New(env, SetBaud, "setBaud"));
}

}  // namespace pfs
