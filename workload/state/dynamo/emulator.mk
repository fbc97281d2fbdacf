# dynalite, the DynamoDB API on LevelDB that workload/state/dynamo's tests
# and `cellfabric local --store dynamodb` start (workload/state/emulator
# finds it here): installed exactly as locked (npm ci), again only when the
# lock changes. Included by the Makefile; `make emulators` installs it.
DYNAMO_EMULATOR_DIR := workload/state/dynamo/emulator

EMULATORS += $(DYNAMO_EMULATOR_DIR)/node_modules/.package-lock.json

$(DYNAMO_EMULATOR_DIR)/node_modules/.package-lock.json: $(DYNAMO_EMULATOR_DIR)/package.json $(DYNAMO_EMULATOR_DIR)/package-lock.json
	$(NPM) ci --prefix $(DYNAMO_EMULATOR_DIR) --no-audit --no-fund --loglevel=error
