package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** HTTP dates as RFC 9110 fixes them (IMF-fixdate), which strict clients parse, and back. */
class HttpDatesTest {

    @Test
    void theDayHasTwoDigitsAndTheNamesAreEnglish() {
        long millis = Instant.parse("2030-01-01T00:00:00.750Z").toEpochMilli();
        assertThat(HttpDates.rfc1123(millis)).isEqualTo("Tue, 01 Jan 2030 00:00:00 GMT");
        assertThat(HttpDates.rfc1123(Instant.parse("2026-12-07T13:05:09Z").toEpochMilli())).isEqualTo("Mon, 07 Dec 2026 13:05:09 GMT");
        assertThat(HttpDates.rfc1123(Instant.parse("2026-11-19T23:59:59.999Z").toEpochMilli())).isEqualTo("Thu, 19 Nov 2026 23:59:59 GMT");
        assertThat(HttpDates.parseRfc1123(HttpDates.rfc1123(millis))).isEqualTo(millis - 750);
        assertThat(HttpDates.parseRfc1123("Tue, 1 Jan 2030 00:00:00 GMT")).as("one digit, as some clients send it").isEqualTo(millis - 750);
    }
}
