// Permission to use CPU register state the OS saves only on request. Linux (since 5.16):
// AMX's 8 KiB of tile data, asked with arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)
// (cpu_state_linux.cpp). Windows: not asked for here, so AMX is never used there
// (cpu_state_windows.cpp).
#pragma once

namespace tern {

// True when the process may now execute AMX tile instructions (the CPU and XCR0 checks are
// the caller's: runtime/cpu_features.cpp).
bool request_amx_tile_state();

}  // namespace tern
