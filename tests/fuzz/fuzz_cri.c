/* libFuzzer target: container log lines, which any container writes (the
 * CRI and docker json-file formats), joined as the tailer will join them.
 * The first byte picks the format. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cri.h"
#include "logline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static struct logline j;
	static int ready;
	if (!ready) {
		logline_init(&j, 4096);
		ready = 1;
	}
	struct cri_line l;
	struct buf msg = BUF_INIT;
	int rc = data[0] & 1 ? cri_parse_docker((const char *)data + 1, size - 1, &msg, &l)
			     : cri_parse((const char *)data + 1, size - 1, &l);
	if (rc == 0)
		logline_add(&j, &l);
	buf_free(&msg);
	return 0;
}
