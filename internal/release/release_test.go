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

// verifyUnits is the shell that checks the installed units: `systemd-analyze
// verify`, every absolute path they start exists, and they enable.
const verifyUnits = `for f in $(dpkg -L dwshim | grep '^/lib/systemd/system/.*\.service$'); do
  systemd-analyze verify "$f"
  for a in $(sed -n 's/^Exec[A-Za-z]*=[-@+!:]*//p' "$f"); do
    case $a in /*) test -e "$a" || { echo "$f: $a missing"; exit 1; } ;; esac
  done
  systemctl enable "$(basename "$f")"
  test -L "/etc/systemd/system/multi-user.target.wants/$(basename "$f")"
  echo "verified $f"
done
`

// TestDebInstallsInDebianRoot installs the package in the Debian root with
// apt (which brings Docker, the unit's dependency, from Debian), checks where
// it put things and runs `systemd-analyze verify` on its unit, with the real
// start-worker where the unit expects it; then removes it.
func TestDebInstallsInDebianRoot(t *testing.T) {
	image := debianImage(t)
	sw := startWorker(t)
	d := sharedDist(t)
	script := `export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends /dist/*.deb >/dev/null
dpkg -s dwshim | grep -q '^Status: install ok installed'
test "$(dwshim --short-version)" = "$(dpkg-query -W -f '${Version}' dwshim)"
# worker-runner's config points worker.path at the binary
path=$(sed -n 's/^ *path: *//p' /etc/dwshim/*.yaml | head -1)
test -x "$path" && "$path" --version
` + verifyUnits + `
ls /usr/share/doc/dwshim/ /etc/dwshim/
dpkg -r dwshim >/dev/null
! test -e /usr/bin/dwshim
echo installed-and-verified`
	out := inDebian(t, image, "release-deb", script, d+":/dist:ro", sw+":/usr/local/bin/start-worker:ro")
	if !strings.Contains(out, "installed-and-verified") || !strings.Contains(out, "verified /lib/systemd/system/") {
		t.Fatalf("output:\n%s", out)
	}
	for _, want := range []string{"deploy.md", "worker.md", "README.md", "copyright"} {
		if !strings.Contains(out, want) {
			t.Errorf("package docs lack %s:\n%s", want, out)
		}
	}
}

// TestImageRecipeInstalls runs deploy/monopacker's builder scripts (through
// install.sh, as monopacker would) in the Debian root, twice (a rebuilt
// layer must not break), and checks the image they make: Docker, start-worker,
// dwshim and its unit enabled, the provider set, the chain-of-trust key in
// generic-worker's format.
func TestImageRecipeInstalls(t *testing.T) {
	image := debianImage(t)
	sw := startWorker(t)
	d := sharedDist(t)
	recipe := filepath.Join(repoRoot(t), "deploy", "monopacker")
	script := `export DWSHIM_DEB=$(ls /tmp/dwshim/dwshim_*.deb) START_WORKER=/tmp/start-worker WORKER_PROVIDER=google
bash /recipe/install.sh
pub1=$(cat /etc/dwshim/ed25519.key)
bash /recipe/install.sh
test "$(cat /etc/dwshim/ed25519.key)" = "$pub1"
systemctl is-enabled docker.service
test -x /usr/local/bin/start-worker
grep -q '^  providerType: google$' /etc/dwshim/worker-runner.yaml
! grep -q staticSecret /etc/dwshim/worker-runner.yaml
grep -q '^worker:' /etc/dwshim/worker-runner.yaml
test "$(base64 -d /etc/dwshim/ed25519.key | wc -c)" = 32
test "$(stat -c %a /etc/dwshim/ed25519.key)" = 600
dwshim status
` + verifyUnits + `
echo image-ready`
	out := inDebian(t, image, "release-recipe", script, d+":/tmp/dwshim:ro", sw+":/tmp/start-worker:ro", recipe+":/recipe:ro")
	for _, want := range []string{"image-ready", "ed25519 public key: ", "keeping the existing", "currentTaskIds", "03-dwshim: dwshim "} {
		if !strings.Contains(out, want) {
			t.Errorf("recipe output lacks %q:\n%s", want, out)
		}
	}
}
