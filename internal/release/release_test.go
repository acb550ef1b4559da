package release

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDistReproducibleAndStatic: two builds of the same commit give the same
// bytes; the binary is static and says its stamped version and commit.
func TestDistReproducibleAndStatic(t *testing.T) {
	a := sharedDist(t)
	sumsA := readSums(t, filepath.Join(a, "SHA256SUMS"))
	sumsB := dist(t, t.TempDir())
	if len(sumsA) != 3 {
		t.Fatalf("SHA256SUMS lists %d files, want binary, tarball, deb: %v", len(sumsA), sumsA)
	}
	for name, sum := range sumsA {
		if sumsB[name] != sum {
			t.Errorf("%s differs between two builds of one commit: %s vs %s", name, sum, sumsB[name])
		}
	}
	bin := filepath.Join(a, "dwshim")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("dwshim has an ELF interpreter: not statically linked")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("dwshim links %v", libs)
	}
	commit, err := exec.Command("git", "-C", repoRoot(t), "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	short, _ := exec.Command(bin, "--short-version").Output()
	v := strings.TrimSpace(string(short))
	if !strings.HasPrefix(v, "0.") || !strings.Contains(string(out), "dwshim "+v+" (commit "+strings.TrimSpace(string(commit))) {
		t.Errorf("dwshim version = %q, --short-version = %q; want the stamped version and commit %s", out, v, commit)
	}
	var deb string
	for name := range sumsA {
		if strings.HasSuffix(name, ".deb") {
			deb = name
		}
	}
	if want := "dwshim_" + v + "_amd64.deb"; deb != want {
		t.Errorf("package %q, want %q", deb, want)
	}
}

// TestDebInstallsInDebianRoot installs the package in the Debian root with
// dpkg, checks where it put things and runs `systemd-analyze verify` on its
// unit, with the real start-worker where the unit expects it.
func TestDebInstallsInDebianRoot(t *testing.T) {
	image := debianImage(t)
	sw := startWorker(t)
	d := sharedDist(t)
	units, err := filepath.Glob(filepath.Join(repoRoot(t), "deploy", "systemd", "*.service"))
	if err != nil || len(units) == 0 {
		t.Fatalf("no unit under deploy/systemd: %v", err)
	}
	script := `dpkg -i /dist/*.deb
dpkg -s dwshim | grep -q '^Status: install ok installed'
dwshim --version
test "$(dwshim --short-version)" = "$(dpkg-query -W -f '${Version}' dwshim)"
for u in ` + unitNames(units) + `; do
  f=/lib/systemd/system/$u
  test -f "$f"
  systemd-analyze verify "$f"
  # every absolute path the unit starts with must be there (the config
  # template the package installs, the start-worker the image adds)
  for a in $(sed -n 's/^Exec[A-Za-z]*=[-@+!:]*//p' "$f"); do
    case $a in /*) test -e "$a" || { echo "$u: $a missing"; exit 1; } ;; esac
  done
  systemctl enable "$u"
  test -L /etc/systemd/system/multi-user.target.wants/$u
done
ls /usr/share/doc/dwshim/ /etc/dwshim/
dpkg -r dwshim
! test -e /usr/bin/dwshim
echo installed-and-verified`
	out := inDebian(t, image, "release-deb", script, d+":/dist:ro", sw+":/usr/local/bin/start-worker:ro")
	if !strings.Contains(out, "installed-and-verified") {
		t.Fatalf("output:\n%s", out)
	}
	for _, want := range []string{"deploy.md", "worker.md", "README.md"} {
		if !strings.Contains(out, want) {
			t.Errorf("package docs lack %s:\n%s", want, out)
		}
	}
}

func unitNames(paths []string) string {
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	return strings.Join(names, " ")
}
