/*  mf_vec: a growable array of fixed-size elements, which is also a
    queue. It replaces the arrays the modules grew by hand (workers and
    their leases, peers, connections, opinions, owned tiles, allowed
    keys, the pool's and the viewer's queues): one growth rule, checked
    for overflow, written and tested once.

    Elements are stored by value, packed, in order; a pointer to one is
    valid until the array next changes size (a push or grow may move
    them all). Removing the first element is O(1) (mf_vec_shift), so a
    vec serves as a FIFO queue: push at the back, shift at the front.
    Not thread-safe: a caller that shares one holds its own lock.
*/
#ifndef MF_VEC_H
#define MF_VEC_H

#include <stddef.h>

typedef struct _mf_vec_t mf_vec_t;

//  An empty array of elements of size bytes each (size > 0). Returns
//  NULL when out of memory.
mf_vec_t *mf_vec_new (size_t size);

//  Frees the array and its elements' storage (not what they point to);
//  safe twice, nulls the pointer.
void mf_vec_destroy (mf_vec_t **self_p);

//  Elements in the array.
size_t mf_vec_count (const mf_vec_t *self);

//  The element at index, or NULL if index is not below the count.
void *mf_vec_at (const mf_vec_t *self, size_t index);

//  The index of elem, a pointer mf_vec_at gave and still valid.
size_t mf_vec_index (const mf_vec_t *self, const void *elem);

//  Appends a copy of elem (zero bytes if elem is NULL). Returns the new
//  element, or NULL when out of memory or the size would overflow; the
//  array is unchanged then.
void *mf_vec_push (mf_vec_t *self, const void *elem);

//  Grows the array to at least count elements, the new ones zero bytes
//  (for arrays indexed by a number: a slot, a descriptor). Returns 0, or
//  -1 when out of memory or the size would overflow (unchanged then).
int mf_vec_grow_to (mf_vec_t *self, size_t count);

//  Removes the element at index (below the count); the ones after it
//  move down, in order.
void mf_vec_remove (mf_vec_t *self, size_t index);

//  Removes the element at index (below the count); the last element
//  takes its place, so the order is not kept. O(1).
void mf_vec_swap_remove (mf_vec_t *self, size_t index);

//  Removes the first element, copying it into out if out is not NULL.
//  O(1). Returns 0, or -1 if the array is empty.
int mf_vec_shift (mf_vec_t *self, void *out);

//  Keeps the first count elements (count at most the count), e.g. after
//  moving the ones to keep to the front.
void mf_vec_truncate (mf_vec_t *self, size_t count);

//  Removes every element (the storage is kept for reuse).
void mf_vec_clear (mf_vec_t *self);

#endif
