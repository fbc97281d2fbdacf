//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"syscall/js"
)

// jsError is an exception thrown or a promise rejected in the runtime.
type jsError struct {
	name, msg string
}

func (e *jsError) Error() string {
	if e.name == "" || e.name == "Error" {
		return e.msg
	}
	return e.name + ": " + e.msg
}

// errorOf turns a thrown JavaScript value into a Go error.
func errorOf(v js.Value) error {
	if v.Type() == js.TypeObject {
		name, msg := v.Get("name"), v.Get("message")
		if msg.Type() == js.TypeString {
			e := &jsError{msg: msg.String()}
			if name.Type() == js.TypeString {
				e.name = name.String()
			}
			return e
		}
	}
	return &jsError{msg: js.Global().Get("String").Invoke(v).String()}
}

// call runs f, turning a JavaScript exception it throws into an error.
func call(f func() js.Value) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			var je js.Error
			if e, ok := r.(error); ok && errors.As(e, &je) {
				err = errorOf(je.Value)
				return
			}
			err = fmt.Errorf("%v", r)
		}
	}()
	return f(), nil
}

// await blocks the calling goroutine until the promise settles. Only the
// goroutine serving the event that made the promise may wait for it: the
// runtime resumes Go in the context of the request the promise belongs to.
func await(p js.Value) (js.Value, error) {
	type settled struct {
		v   js.Value
		err error
	}
	ch := make(chan settled, 1)
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{v: arg(args, 0)}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{err: errorOf(arg(args, 0))}
		return nil
	})
	defer ok.Release()
	defer fail.Release()
	if _, err := call(func() js.Value { return p.Call("then", ok, fail) }); err != nil {
		return js.Undefined(), err
	}
	s := <-ch
	return s.v, s.err
}

// callAwait calls a function returning a promise and waits for it; a
// synchronous throw is an error too.
func callAwait(f func() js.Value) (js.Value, error) {
	p, err := call(f)
	if err != nil {
		return js.Undefined(), err
	}
	return await(p)
}

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

// bytesOf copies an ArrayBuffer or typed array into Go.
func bytesOf(v js.Value) []byte {
	u8 := js.Global().Get("Uint8Array").New(v)
	b := make([]byte, u8.Get("length").Int())
	js.CopyBytesToGo(b, u8)
	return b
}

// uint8Array copies bytes into a new Uint8Array.
func uint8Array(b []byte) js.Value {
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	return u8
}

// text returns a global string binding, "" when it is absent.
func text(name string) string {
	v := js.Global().Get(name)
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// jsHeaders reads a Headers object (tenant.Headers).
type jsHeaders struct{ h js.Value }

func (h jsHeaders) Get(name string) string {
	v := h.h.Call("get", name)
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// object builds a plain JavaScript object from key/value pairs.
func object(kv ...any) js.Value {
	o := js.Global().Get("Object").New()
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}
