package recorder

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type box struct {
	pulumi.ResourceState
}

// TestRecordsTreeSecretsAndOutputs runs a small program and checks the
// recorder sees the parent chain, keeps secrets secret, and answers with
// deterministic outputs.
func TestRecordsTreeSecretsAndOutputs(t *testing.T) {
	t.Parallel()
	run := func() (*Recorder, Awaited) {
		rec := New()
		var out pulumi.StringOutput
		err := rec.Run(Options{Stack: "unit"}, func(ctx *pulumi.Context) error {
			comp := &box{}
			if err := ctx.RegisterComponentResource("cellfabric:test:Box", "b", comp); err != nil {
				return err
			}
			pw, err := random.NewRandomPassword(ctx, "pw", &random.RandomPasswordArgs{Length: pulumi.Int(40), Special: pulumi.Bool(false)}, pulumi.Parent(comp))
			if err != nil {
				return err
			}
			out = pw.Result
			return ctx.RegisterResourceOutputs(comp, pulumi.Map{})
		})
		if err != nil {
			t.Fatal(err)
		}
		aw, err := Await(out)
		if err != nil {
			t.Fatal(err)
		}
		return rec, aw
	}
	rec, aw := run()
	pw := rec.Get("random:index/randomPassword:RandomPassword", "pw")
	if pw == nil {
		t.Fatal("password not recorded")
	}
	comp := rec.Component(pw)
	if comp == nil || comp.Type != "cellfabric:test:Box" {
		t.Fatalf("component of password = %+v", comp)
	}
	if !strings.Contains(pw.URN, "cellfabric:test:Box$random:index/randomPassword:RandomPassword") {
		t.Fatalf("URN does not carry the parent type: %s", pw.URN)
	}
	s, ok := aw.Value.(string)
	if !aw.Secret || !ok || len(s) != 40 {
		t.Fatalf("result = %#v secret=%v; want a 40-char secret", aw.Value, aw.Secret)
	}
	if !rec.Below(pw, comp.URN) || rec.Below(comp, pw.URN) || rec.Below(comp, comp.URN) {
		t.Fatal("Below does not follow the parent chain")
	}
	_, again := run()
	if again.Value != aw.Value {
		t.Fatalf("fake result not deterministic: %v vs %v", again.Value, aw.Value)
	}
}

func TestUnknownInvokeIsAnError(t *testing.T) {
	t.Parallel()
	rec := New()
	err := rec.Run(Options{}, func(ctx *pulumi.Context) error {
		var out map[string]any
		return ctx.Invoke("nope:index/getThing:getThing", map[string]any{}, &out)
	})
	if err == nil || !strings.Contains(err.Error(), "no fake answer for invoke nope:index/getThing:getThing") {
		t.Fatalf("err = %v", err)
	}
}
