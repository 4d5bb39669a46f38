export * from './ci';
export * from './programs';
export * from './files';
export * from './net';
export * from './daemons';
export * from './clients';
export * from './udp-relay';
export * from './flash';
