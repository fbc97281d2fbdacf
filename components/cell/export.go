package cell

import (
	"reflect"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// OutputMap returns the fields of a component's output struct that carry a
// `pulumi:"name"` tag and hold a pulumi.Input, keyed by that name, walking
// into embedded structs: what a component registers with
// ctx.RegisterResourceOutputs and what a program exports, with the names
// written once, in the tags (as pulumi-go-provider components declare
// theirs). v is a struct or a pointer to one; nil fields are left out.
func OutputMap(v any) pulumi.Map {
	m := pulumi.Map{}
	addOutputs(m, reflect.Indirect(reflect.ValueOf(v)))
	return m
}

var inputType = reflect.TypeOf((*pulumi.Input)(nil)).Elem()

func addOutputs(m pulumi.Map, v reflect.Value) {
	if v.Kind() != reflect.Struct {
		return
	}
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("pulumi"), ",")
		if name == "" {
			if f.Anonymous {
				addOutputs(m, reflect.Indirect(fv))
			}
			continue
		}
		if !f.Type.Implements(inputType) || isNil(fv) {
			continue
		}
		m[name] = fv.Interface().(pulumi.Input)
	}
}

func isNil(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice:
		return v.IsNil()
	case reflect.Struct:
		// An Output whose state is unset (the zero StringOutput, say).
		if s := v.FieldByName("OutputState"); s.IsValid() && s.Kind() == reflect.Pointer {
			return s.IsNil()
		}
	}
	return false
}
