#!/usr/bin/env bash
# Builds libfaiss_shim.so (the FAISS C shim with SIMD distance kernels) into infra/native/build/.
# Installs libfaiss-dev, libopenblas-dev and g++ when missing; quiet and quick when already up to date.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/build/libfaiss_shim.so"
archive=/usr/lib/x86_64-linux-gnu/libfaiss.a
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi

need=()
[ -f "$archive" ] || need+=(libfaiss-dev)
[ -e /usr/lib/x86_64-linux-gnu/libopenblas.so ] || need+=(libopenblas-dev)
command -v g++ >/dev/null 2>&1 || need+=(g++)
if [ ${#need[@]} -gt 0 ]; then
  echo "native: installing ${need[*]}" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Rebuild only when a source is newer than the library.
if [ -f "$out" ] && [ "$out" -nt "$here/faiss_shim.cpp" ] && [ "$out" -nt "$here/simd_distances.cpp" ] && [ "$out" -nt "$here/build.sh" ]; then
  exit 0
fi
echo "native: building $out" >&2
mkdir -p "$here/build"
# The shim's objects come before the archive, so the linker resolves FAISS's fvec_* calls to our SIMD
# definitions; --allow-multiple-definition covers the archive members that define them alongside other symbols.
g++ -O3 -std=c++17 -fPIC -shared -fopenmp -fvisibility=hidden \
  -o "$out.tmp" "$here/faiss_shim.cpp" "$here/simd_distances.cpp" \
  "$archive" \
  -Wl,--allow-multiple-definition -Wl,-soname,libfaiss_shim.so -lopenblas -lgomp
mv -f "$out.tmp" "$out"
