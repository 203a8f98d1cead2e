/*  mf_vec: see mf_vec.h.

    The elements live in [first, first + count) of a buffer of capacity
    elements. A shift only moves first; when the back runs out of room,
    the elements are moved down to the start if they fill at most half
    the buffer (each element moved then freed a slot, so a queue costs
    O(1) a push, amortized), or the buffer doubles.
*/
#include "mf_vec.h"
#include "mf_util.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CAPACITY 16                 //  elements of the first buffer

struct _mf_vec_t {
    unsigned char *data;                //  the buffer, capacity elements
    size_t size;                        //  bytes of an element
    size_t first;                       //  index in data of element 0
    size_t count;                       //  elements held
    size_t capacity;                    //  elements data holds
};

mf_vec_t *
mf_vec_new (size_t size)
{
    assert (size > 0);
    mf_vec_t *self = calloc (1, sizeof *self);
    if (self)
        self->size = size;
    return self;
}

void
mf_vec_destroy (mf_vec_t **self_p)
{
    assert (self_p);
    mf_vec_t *self = *self_p;
    if (!self)
        return;
    free (self->data);
    free (self);
    *self_p = NULL;
}

size_t
mf_vec_count (const mf_vec_t *self)
{
    return self->count;
}

void *
mf_vec_at (const mf_vec_t *self, size_t index)
{
    return index < self->count? self->data + (self->first + index) * self->size: NULL;
}

size_t
mf_vec_index (const mf_vec_t *self, const void *elem)
{
    const unsigned char *start = self->data + self->first * self->size;
    assert ((const unsigned char *) elem >= start);
    size_t index = (size_t) ((const unsigned char *) elem - start) / self->size;
    assert (index < self->count);
    return index;
}

//  Makes room for count elements from first on. Returns 0, or -1 (the
//  array unchanged).
static int
s_room (mf_vec_t *self, size_t count)
{
    if (count <= self->capacity - self->first)
        return 0;
    if (self->first && count <= self->capacity / 2) {
        memmove (self->data, self->data + self->first * self->size, self->count * self->size);
        self->first = 0;
        return 0;
    }
    //  Doubled, or what count needs if more; never wrapping around.
    size_t capacity = self->capacity < MIN_CAPACITY? MIN_CAPACITY: self->capacity;
    while (capacity < count) {
        if (capacity > SIZE_MAX / 2)
            return -1;
        capacity *= 2;
    }
    if (capacity == self->capacity && self->first)
        capacity = capacity > SIZE_MAX / 2? SIZE_MAX: capacity * 2;
    size_t bytes;
    if (mf_mul_size (capacity, self->size, &bytes))
        return -1;
    unsigned char *data = malloc (bytes);
    if (!data)
        return -1;
    if (self->count)
        memcpy (data, self->data + self->first * self->size, self->count * self->size);
    free (self->data);
    self->data = data;
    self->first = 0;
    self->capacity = capacity;
    return 0;
}

void *
mf_vec_push (mf_vec_t *self, const void *elem)
{
    if (self->count == SIZE_MAX || s_room (self, self->count + 1))
        return NULL;
    unsigned char *slot = self->data + (self->first + self->count) * self->size;
    if (elem)
        memcpy (slot, elem, self->size);
    else
        memset (slot, 0, self->size);
    self->count++;
    return slot;
}

int
mf_vec_grow_to (mf_vec_t *self, size_t count)
{
    if (count <= self->count)
        return 0;
    if (s_room (self, count))
        return -1;
    memset (self->data + (self->first + self->count) * self->size, 0,
            (count - self->count) * self->size);
    self->count = count;
    return 0;
}

void
mf_vec_remove (mf_vec_t *self, size_t index)
{
    assert (index < self->count);
    unsigned char *at = self->data + (self->first + index) * self->size;
    memmove (at, at + self->size, (self->count - index - 1) * self->size);
    if (--self->count == 0)
        self->first = 0;
}

void
mf_vec_swap_remove (mf_vec_t *self, size_t index)
{
    assert (index < self->count);
    if (index != self->count - 1)
        memcpy (self->data + (self->first + index) * self->size,
                self->data + (self->first + self->count - 1) * self->size, self->size);
    if (--self->count == 0)
        self->first = 0;
}

int
mf_vec_shift (mf_vec_t *self, void *out)
{
    if (!self->count)
        return -1;
    if (out)
        memcpy (out, self->data + self->first * self->size, self->size);
    self->first++;
    if (--self->count == 0)
        self->first = 0;
    return 0;
}

void
mf_vec_truncate (mf_vec_t *self, size_t count)
{
    assert (count <= self->count);
    self->count = count;
    if (count == 0)
        self->first = 0;
}

void
mf_vec_clear (mf_vec_t *self)
{
    self->first = 0;
    self->count = 0;
}
