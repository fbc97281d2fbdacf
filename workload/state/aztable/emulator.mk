# azurite, the Azure Storage emulator whose table service the aztable
# adapter's tests and `cellfabric local --store azuretable` run against
# (workload/state/emulator finds it here): the npm package pinned by the
# package-lock.json in AZTABLE_EMULATOR_DIR, installed exactly as locked
# (npm ci), again only when the lock changes.
AZTABLE_EMULATOR_DIR := workload/state/aztable/emulator

EMULATORS += $(AZTABLE_EMULATOR_DIR)/node_modules/.package-lock.json

$(AZTABLE_EMULATOR_DIR)/node_modules/.package-lock.json: $(AZTABLE_EMULATOR_DIR)/package.json $(AZTABLE_EMULATOR_DIR)/package-lock.json
	$(NPM) ci --prefix $(AZTABLE_EMULATOR_DIR) --no-audit --no-fund --loglevel=error
