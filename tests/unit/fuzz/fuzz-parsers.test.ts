// Fuzzing the parsers of what a server, the kernel or a config file hands us: the HTTP checker's reply
// reader, netlink (rtnetlink, generic netlink, IPVS) messages and the configuration language.
import { describe } from 'node:test';
import { fuzzTargets } from './fuzz-helpers.js';

describe('fuzz: reply, kernel and config parsers', () => fuzzTargets(['http', 'netlink', 'config']));
