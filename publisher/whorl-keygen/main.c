/*
 * whorl-keygen - create a publisher key pair: DIR/publisher.key (secret,
 * mode 0600) and DIR/publisher.pub (copy this one to every gateway's
 * configuration directory). Refuses to overwrite an existing key.
 *
 * Not for: signing (whorl-publish).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/publish.h"

int main(int argc, char **argv)
{
	char err[512];

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: whorl-keygen DIR\n");
		return 2;
	}
	if (mkdir(argv[1], 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "whorl-keygen: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (publish_keygen(argv[1], err, sizeof err) != 0) {
		fprintf(stderr, "whorl-keygen: %s\n", err);
		return 1;
	}
	printf("wrote %s/%s (secret, keep it private) and %s/%s (install on gateways)\n", argv[1],
	       PUBLISH_SECRET_KEY_FILE, argv[1], PUBLISH_PUBLIC_KEY_FILE);
	return 0;
}
