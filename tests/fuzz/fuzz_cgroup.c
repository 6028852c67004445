/* libFuzzer target: /proc/<pid>/cgroup text, which any process on the
 * node controls the path of (cgroup names are chosen by their creator). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	struct cgroup_pod p;
	cgroup_parse_proc(s, &p);
	cgroup_parse_path(s, &p);
	free(s);
	return 0;
}
