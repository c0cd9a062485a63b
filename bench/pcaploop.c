/*
 * pcaploop - speed baseline for the sipaudit benchmark.
 *
 * The cheapest possible pass over a capture: pcap_open_offline() and a
 * pcap_next_ex() loop that only counts packets and bytes.  No parsing, no
 * allocation per packet.  Any real analyzer reading the same file through
 * libpcap cannot be faster than this, so "tool time / pcaploop time" is the
 * overhead the tool adds on top of reading the file.
 *
 * Build: gcc -O2 -Wall -o pcaploop pcaploop.c -lpcap
 * Usage: pcaploop FILE.pcap
 * Output (one line, stdout): packets=N caplen_bytes=N wire_bytes=N
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *hdr;
    const u_char *data;
    uint64_t packets = 0, caplen_bytes = 0, wire_bytes = 0;
    pcap_t *p;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
        return 2;
    }
    errbuf[0] = '\0';
    p = pcap_open_offline(argv[1], errbuf);
    if (p == NULL) {
        fprintf(stderr, "pcaploop: %s: %s\n", argv[1], errbuf);
        return 1;
    }
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
        packets++;
        caplen_bytes += hdr->caplen;
        wire_bytes += hdr->len;
    }
    if (rc == PCAP_ERROR) {
        /* A truncated last record is reported here; count what we read. */
        fprintf(stderr, "pcaploop: %s: %s\n", argv[1], pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("packets=%llu caplen_bytes=%llu wire_bytes=%llu\n",
           (unsigned long long)packets, (unsigned long long)caplen_bytes,
           (unsigned long long)wire_bytes);
    return 0;
}
