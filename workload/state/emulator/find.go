package emulator

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Environment variables that say where an emulator is installed, for a
// cellfabric binary run outside a clone of the repository (inside one,
// Start finds what `make emulators` installed).
const (
	// EnvDynaliteDir is the directory dynalite was installed into with
	// `npm install --prefix DIR dynalite@<DynaliteVersion>`: the one
	// holding node_modules/dynalite.
	EnvDynaliteDir = "CELLFABRIC_DYNALITE_DIR"
	// EnvAzuriteDir is the directory azurite was installed into with
	// `npm install --prefix DIR azurite@<AzuriteVersion>`: the one holding
	// node_modules/azurite.
	EnvAzuriteDir = "CELLFABRIC_AZURITE_DIR"
	// EnvFirestoreJar is the Firestore emulator's jar. Unset:
	// DefaultFirestoreJar. The same variable emulator.mk reads.
	EnvFirestoreJar = "CELLFABRIC_FIRESTORE_EMULATOR_JAR"
)

// The versions `make emulators` installs, pinned by the package-lock.json
// files next to each adapter's emulator.mk (a test keeps them in step).
const (
	DynaliteVersion = "4.0.0"
	AzuriteVersion  = "3.37.0"
)

// DefaultFirestoreJar is where the Debian package
// google-cloud-cli-firestore-emulator installs the Firestore emulator.
const DefaultFirestoreJar = "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"

// npmInstall is where an npm-installed emulator lives: the directory `make
// emulators` installs it into, relative to the repository root, and the
// script node runs, relative to that directory.
type npmInstall struct {
	name, version, env string
	repoDir, entry     string
}

var (
	dynaliteInstall = npmInstall{
		name: "dynalite", version: DynaliteVersion, env: EnvDynaliteDir,
		repoDir: "workload/state/dynamo/emulator", entry: "node_modules/dynalite/cli.js",
	}
	azuriteInstall = npmInstall{
		name: "azurite", version: AzuriteVersion, env: EnvAzuriteDir,
		repoDir: "workload/state/aztable/emulator", entry: "node_modules/azurite/dist/src/table/main.js",
	}
)

// find returns the absolute path of the script node runs and node's path,
// or an error that says what to install.
func (in npmInstall) find(getenv func(string) string) (script, node string, err error) {
	if dir := getenv(in.env); dir != "" {
		script = filepath.Join(dir, filepath.FromSlash(in.entry))
		if _, err := os.Stat(script); err != nil {
			return "", "", fmt.Errorf("%s is not installed in %s=%s (no %s): install it there with `npm install --prefix %s %s@%s`, or unset %s inside a clone of cellfabric after `make emulators`",
				in.name, in.env, dir, in.entry, dir, in.name, in.version, in.env)
		}
	} else {
		var looked []string
		for _, root := range searchRoots() {
			p := filepath.Join(root, filepath.FromSlash(in.repoDir), filepath.FromSlash(in.entry))
			if _, err := os.Stat(p); err == nil {
				script = p
				break
			}
			looked = append(looked, root)
		}
		if script == "" {
			return "", "", fmt.Errorf("%s is not installed: run `make emulators` in a clone of cellfabric (it installs %s), or install it anywhere with `npm install --prefix DIR %s@%s` and set %s=DIR (looked in and above %s)",
				in.name, in.repoDir, in.name, in.version, in.env, strings.Join(looked, ", "))
		}
	}
	if script, err = filepath.Abs(script); err != nil {
		return "", "", err
	}
	node, err = exec.LookPath("node")
	if err != nil {
		return "", "", fmt.Errorf("%s needs node on PATH: install Node.js 20 or later: %w", in.name, err)
	}
	return script, node, nil
}

// searchRoots are the directories whose ancestors may be a clone of the
// repository: the working directory (tests run in their package's) and the
// directory of the running binary (bin/cellfabric after `make build`).
func searchRoots() []string {
	var roots []string
	if wd, err := os.Getwd(); err == nil {
		roots = append(roots, wd)
	}
	if exe, err := os.Executable(); err == nil {
		roots = append(roots, filepath.Dir(exe))
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range roots {
		for dir := r; ; {
			if !seen[dir] {
				seen[dir] = true
				out = append(out, dir)
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return out
}

// findFirestore returns the Firestore emulator's jar and java's path, or
// an error that says what to install.
func findFirestore(getenv func(string) string) (jar, java string, err error) {
	jar = getenv(EnvFirestoreJar)
	if jar == "" {
		jar = DefaultFirestoreJar
	}
	if _, err := os.Stat(jar); err != nil {
		return "", "", fmt.Errorf("the Firestore emulator is not installed (no %s): install the Debian package google-cloud-cli-firestore-emulator from Google's Cloud SDK repository (`make emulators` checks for it), or set %s to its jar",
			jar, EnvFirestoreJar)
	}
	java, err = exec.LookPath("java")
	if err != nil {
		return "", "", fmt.Errorf("the Firestore emulator needs java on PATH: install a Java runtime, e.g. `apt-get install openjdk-17-jre-headless`: %w", err)
	}
	return jar, java, nil
}
