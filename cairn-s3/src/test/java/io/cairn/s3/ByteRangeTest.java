package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ByteRangeTest {
  @Test
  void parsesTheThreeForms() throws Exception {
    assertThat(ByteRange.parse("bytes=0-9", 100)).contains(new ByteRange(0, 9));
    assertThat(ByteRange.parse("bytes=90-", 100)).contains(new ByteRange(90, 99));
    assertThat(ByteRange.parse("bytes=-10", 100)).contains(new ByteRange(90, 99));
    assertThat(ByteRange.parse("bytes=-500", 100)).contains(new ByteRange(0, 99));
    assertThat(ByteRange.parse("bytes=50-500", 100)).contains(new ByteRange(50, 99));
    assertThat(new ByteRange(90, 99).contentRange(100)).isEqualTo("bytes 90-99/100");
    assertThat(new ByteRange(90, 99).length()).isEqualTo(10);
  }

  @Test
  void ignoresWhatS3Ignores() throws Exception {
    assertThat(ByteRange.parse(null, 100)).isEmpty();
    assertThat(ByteRange.parse("items=0-9", 100)).isEmpty();
    assertThat(ByteRange.parse("bytes=0-1,5-6", 100)).isEmpty();
    assertThat(ByteRange.parse("bytes=9-0", 100)).isEmpty();
    assertThat(ByteRange.parse("bytes=a-b", 100)).isEmpty();
    assertThat(ByteRange.parse("bytes=-", 100)).isEqualTo(Optional.empty());
  }

  @Test
  void unsatisfiableRangesAreInvalidRange() {
    for (String h : new String[] {"bytes=100-", "bytes=100-200", "bytes=-0"}) {
      assertThatThrownBy(() -> ByteRange.parse(h, 100)).isInstanceOf(S3Exception.class)
          .extracting(e -> ((S3Exception) e).error()).isEqualTo(S3Error.InvalidRange);
    }
    assertThatThrownBy(() -> ByteRange.parse("bytes=0-", 0)).isInstanceOf(S3Exception.class);
  }
}
