// Fuzzing the decoders of what arrives from the network: VRRP adverts (every instance kind, IPv4 and
// IPv6), BFD control packets, DNS replies (and DNS_CHECK's query names).
import { describe } from 'node:test';
import { fuzzTargets } from './fuzz-helpers.js';

describe('fuzz: wire decoders', () => fuzzTargets(['vrrp', 'bfd', 'dns']));
