/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An in-memory file system and user database for policy tests and fuzzers. */
#pragma once
#include "policy.h"

/* Users: root 0, alice 1000, bob 1001, mallory 1002. Groups: root 0, kvm 100, lab 200. */
extern const PolicyEnv fake_env;

void fake_fs_reset(void);
void fake_fs_add(const char *path, const char *text);
