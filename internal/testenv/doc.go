// Package testenv holds what tests across the project share to find their
// environment: the reference corpus in ../shared and the Docker daemon with
// the project's test images. Missing either fails the test under CI
// (CI set) and skips it elsewhere, so CI can never pass without them.
//
// Entry points: Shared, RequireDocker and the image/registry helpers. Its
// own tests check the module's layout (every package has a doc.go). Not on
// the data flow: tests only; production code must not import it.
package testenv
