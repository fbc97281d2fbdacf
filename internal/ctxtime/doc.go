// Package ctxtime holds the one wait that honours a context, shared by the
// clients that retry (control/signedhttp), the mover's follow and fence
// loops and the CLI's import retries.
//
// It imports only context and time, so that any package may use it,
// including those that must not import net/http (control/mover) and those
// compiled into the edge Worker.
package ctxtime
