#!/usr/bin/env bash
# Installs the packed package with the lowest aws-cdk-lib of its peer range into a temporary
# consumer directory and synthesizes scripts/min-cdk-app.js there. Needs the npm registry and a
# built package (lib/ and assets/).
set -euo pipefail
cd "$(dirname "$0")/.."

min_cdk=$(node -p "require('./package.json').peerDependencies['aws-cdk-lib'].replace(/^[^0-9]*/, '')")
min_constructs=$(node -p "require('./package.json').peerDependencies['constructs'].replace(/^[^0-9]*/, '')")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tarball=$(npm pack --silent --pack-destination "$work")
cd "$work"
echo '{ "name": "min-cdk-consumer", "version": "1.0.0", "private": true }' > package.json
npm install --silent --no-audit --no-fund "aws-cdk-lib@$min_cdk" "constructs@$min_constructs" "./$tarball"
cp "$OLDPWD/scripts/min-cdk-app.js" app.js
node app.js "$work/cdk.out"
