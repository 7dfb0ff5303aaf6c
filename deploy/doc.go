// Package deploy holds no code: its tests check what krest ships besides
// the binary, each the way a user would build or use it. The container
// image (../Dockerfile, make image) runs hardened under a Docker daemon of
// the test's own against the real broker; the systemd unit
// (systemd/krest.service) passes systemd-analyze verify and stays under an
// exposure threshold of systemd-analyze security; and make release's
// snapshot holds the archives, packages, checksums and SBOMs, its binary
// stamped with the version. As everywhere in krest's tests, a missing
// outside component skips a test, and fails it under CI=true.
package deploy
