# Cloud Firestore: the state/firestore tests run against Google's Cloud
# Firestore emulator (Java), not an npm package: the Firestore emulator on
# npm, @firestore-emulator/server 0.3.15, ignores update-time
# preconditions and document-id order, which the adapter relies on (see
# the package documentation, workload/state/firestore/doc.go). The machine
# image ships Google's emulator as the Debian package
# google-cloud-cli-firestore-emulator, with java; Google's package
# repository is not reachable from here, so this rule checks that both are
# present instead of installing them. The launcher the tests and
# `cellfabric local --store firestore` use (workload/state/emulator) reads
# the same variable.
CELLFABRIC_FIRESTORE_EMULATOR_JAR ?= /usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar

EMULATORS += firestore-emulator

.PHONY: firestore-emulator
firestore-emulator:
	@test -f "$(CELLFABRIC_FIRESTORE_EMULATOR_JAR)" || { echo "The Firestore emulator is missing ($(CELLFABRIC_FIRESTORE_EMULATOR_JAR)): install the Debian package google-cloud-cli-firestore-emulator from Google's Cloud SDK repository, or set CELLFABRIC_FIRESTORE_EMULATOR_JAR to its jar."; exit 1; }
	@command -v java >/dev/null || { echo "The Firestore emulator needs java on PATH: apt-get install openjdk-17-jre-headless"; exit 1; }
