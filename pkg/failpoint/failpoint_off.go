//go:build !failpoints

package failpoint

// Enabled reports whether the binary was built with failpoints.
const Enabled = false

// Hit does nothing in a build without failpoints.
func Hit(string) {}
