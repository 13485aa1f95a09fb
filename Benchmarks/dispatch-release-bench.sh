#!/bin/sh
# Release-mode (swiftc -O) dispatch benchmark without building the whole `vpp` product (NIO,
# Hummingbird, BoringSSL take too long on the shared 2-core box). Compiles the Dispatcher sources
# plus the VPPCore value types they use into one module with a small driver
# (dispatch-release-main.swift.txt) and runs DispatchBenchmarks.run — the same code as
# `vpp dispatch bench`. SITE_JSON is the parsed site config as JSON (JSONEncoder of SiteConfig,
# e.g. dumped from SiteConfigParser().parse(fileAt: "site-configs/seodaemun.toml")).
# usage: Benchmarks/dispatch-release-bench.sh SITE_JSON [DATA_DIR]
set -e
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
cp "$ROOT"/Sources/VPPCore/Units/*.swift "$ROOT"/Sources/VPPCore/Errors.swift "$ROOT"/Sources/VPPCore/Site/SiteConfig.swift "$W"/
for f in ClpSolver DispatchError DispatchModel DispatchProblem Plan PlanChecker MPSWriter Profiles DispatchBenchmarks Dispatcher; do
  sed 's/^import VPPCore$//' "$ROOT/Sources/Dispatcher/$f.swift" > "$W/$f.swift"
done
cp "$ROOT/Benchmarks/dispatch-release-main.swift.txt" "$W/main.swift"
swiftc -O -parse-as-library -module-name DispatchRel -I "$ROOT/Sources/CClp" "$W"/*.swift -lClp -lCoinUtils -o "$W/dispatch-rel"
"$W/dispatch-rel" "$1" "${2:-$ROOT/../shared/data}"
rm -rf "$W"
