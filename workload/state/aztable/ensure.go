package aztable

import (
	"context"
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// EnsureTable creates the table o names unless it exists. It is for
// emulators (`cellfabric local --store azuretable`, the adapter's tests,
// with o.SharedKey set to azurite's account): in Azure the cell component
// creates the table, and the workload's identity may not
// (contract.AzureTableDataActions holds no table action). Table Storage is
// schemaless: the table is all there is to create.
func EnsureTable(ctx context.Context, o Options) error {
	if err := o.Validate(); err != nil {
		return fmt.Errorf("azure table options: %w", err)
	}
	o = o.withDefaults()
	svc, tr, err := serviceClient(o)
	if err != nil {
		return err
	}
	defer tr.CloseIdleConnections()
	if _, err := svc.CreateTable(ctx, o.Table, nil); err != nil {
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.ErrorCode != "TableAlreadyExists" {
			return fmt.Errorf("creating the Azure table %s: %w", o.Table, err)
		}
	}
	return nil
}
