package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AmzDateTest {

    private static final DateTimeFormatter AMZ = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    @Test
    void readsEverySecondAsTheFormatterWritesIt() throws Exception {
        long seed = Long.getLong("cairn.seed", System.nanoTime());
        System.out.println("AmzDateTest seed " + seed + " (reproduce: ./mvnw -pl cairn-s3 test -Dtest=AmzDateTest -Dcairn.seed=" + seed + ")");
        Random random = new Random(seed);
        for (int i = 0; i < 10_000; i++) {
            Instant t = Instant.ofEpochSecond(random.nextLong(0, 253_402_300_799L)); // to 9999-12-31T23:59:59Z
            assertThat(RequestAuthenticator.parseAmzDate(AMZ.format(t), S3Error.AccessDenied)).as("seed %d", seed).isEqualTo(t);
        }
    }

    @Test
    void refusesAnythingElse() {
        for (String bad : new String[] {"", "20261205T061500", "20261205T061500z", "20261205 061500Z", "2026-12-05T06:15Z",
                "20261305T061500Z", "20260230T061500Z", "20261205T246000Z", "20261205T061560Z", "2026120aT061500Z",
                "+0261205T061500Z", "2026120\u0663T061500Z", "20261205T061500Z "}) {
            assertThatThrownBy(() -> RequestAuthenticator.parseAmzDate(bad, S3Error.AccessDenied)).as("'%s'", bad)
                    .isInstanceOf(S3Exception.class).hasMessageContaining("bad date");
        }
        assertThatThrownBy(() -> RequestAuthenticator.parseAmzDate(null, S3Error.AccessDenied)).isInstanceOf(S3Exception.class);
    }
}
