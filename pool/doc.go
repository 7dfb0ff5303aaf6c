// Package pool holds krest's pooled byte buffers and its memory budgets.
//
// Ownership rule: a *Buffer returned by GetBuffer belongs to the caller until
// it is handed back with PutBuffer; after PutBuffer neither the Buffer nor any
// slice of its B may be used. A produce handler takes one Buffer as the arena
// for all record keys and values of a request and puts it back only after the
// broker has acknowledged (or failed) every record of that request, so kgo never
// sees a recycled byte.
//
// A Budget bounds memory that lives longer than a call (records buffered in
// the producer, later consumer fetch buffers): callers Acquire before
// allocating and Release when the memory is gone.
package pool
