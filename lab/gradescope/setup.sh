#!/bin/bash
# setup.sh: Gradescope runs it once, as root, when it builds the autograder's
# image (lab/README.md, "Gradescope"): the packages the lab needs, then the
# handed-out tree built once, so that each submission rebuilds only its own
# files. AUTOGRADER_ROOT (default /autograder) is for trying it elsewhere.
set -eu
src=${AUTOGRADER_ROOT:-/autograder}/source
tree=$(echo "$src"/minivmm-lab-*/)
[ -f "$tree/lab/LAB" ] || {
        echo "setup.sh: no student tree minivmm-lab-*/ in $src" >&2
        exit 2
}
"$tree/tools/install-deps" lab
make -C "$tree" --no-print-directory -j"$(nproc)" all unit >/dev/null
