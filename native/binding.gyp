# The PFS native addon: node-addon-api, built by node-gyp (native/build.mjs runs it,
# for this machine or cross for arm64/armv7). One small C++ file per kernel concern.
{
  'targets': [
    {
      'target_name': 'pfs_native',
      'sources': [
        'src/addon.cc',
        'src/errors.cc',
        'src/fb.cc',
        'src/mmap.cc',
        'src/mtd.cc',
        'src/gpio.cc',
        'src/i2c.cc',
        'src/termios.cc',
        'src/writeback.cc',
      ],
      # node_addon_api_except: C++ exceptions on (NAPI_CPP_EXCEPTIONS, no
      # -fno-exceptions). Every call here has several ways to fail (argument checks,
      # then one or two ioctls); throwing Napi::Error lets each failure leave from
      # where it happens, and node-addon-api turns it into the JS exception at the
      # boundary. With exceptions off, every helper would have to return a status and
      # every caller check env.IsExceptionPending(): more code, easier to get wrong.
      'dependencies': [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
      ],
      'defines': ['NAPI_VERSION=8', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      # -Wno-psabi: GCC's note on 32-bit ARM that std::vector's ABI changed in GCC 7.1;
      # nothing here is passed across that boundary.
      'cflags_cc': ['-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-psabi'],
    },
  ],
}
