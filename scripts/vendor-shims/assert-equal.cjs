// `assert` for proper-lockfile's signal-exit, which loads node:assert for one check (that its
// callback is a function): loading node:assert costs 2-8 ms of a clone's start, this only that check.
"use strict";
module.exports = {
  equal(actual, expected, message) {
    // biome-ignore lint/suspicious/noDoubleEquals: node:assert's equal is loose (==), as signal-exit expects
    if (actual != expected) throw new Error(message);
  },
};
