import { register } from 'node:module';

/** `node --import <this file> start-server.js`: installs ./hooks.js before the peer gateway loads. */
register('./hooks.js', import.meta.url);
