package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ObjectChecksumTest {
  static final long SEED = Long.getLong("cairn.test.seed", System.nanoTime());

  private static byte[] checksum(BodyChecksum c, byte[] b, int off, int len) {
    BodyChecksum.State s = c.newState();
    s.update(b, off, len);
    return s.finish();
  }

  @Test
  void aCrcCombinedFromThePartsIsTheCrcOfTheWhole() {
    System.out.println("ObjectChecksumTest seed=" + SEED
        + " (reproduce: ./mvnw -o -pl cairn-s3 test -Dtest=ObjectChecksumTest -Dcairn.test.seed=" + SEED + ")");
    Random random = new Random(SEED);
    for (BodyChecksum c : List.of(BodyChecksum.CRC32, BodyChecksum.CRC32C, BodyChecksum.CRC64NVME)) {
      for (int round = 0; round < 20; round++) {
        byte[] data = new byte[random.nextInt(200_000)];
        random.nextBytes(data);
        int parts = 1 + random.nextInt(5);
        List<Integer> cuts = new ArrayList<>();
        for (int i = 0; i < parts - 1; i++) cuts.add(data.length == 0 ? 0 : random.nextInt(data.length + 1));
        cuts.add(0);
        cuts.add(data.length);
        cuts.sort(null);
        List<String> sums = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (int i = 0; i + 1 < cuts.size(); i++) {
          int from = cuts.get(i), to = cuts.get(i + 1);
          sums.add(Base64.getEncoder().encodeToString(checksum(c, data, from, to - from)));
          sizes.add((long) (to - from));
        }
        ObjectChecksum.Stored whole = ObjectChecksum.ofParts(
            new ObjectChecksum.Algorithm(c, ObjectChecksum.Type.FULL_OBJECT), sums, sizes);
        assertThat(whole.value()).as("%s of %d bytes in parts %s (seed %d)", c, data.length, sizes, SEED)
            .isEqualTo(Base64.getEncoder().encodeToString(checksum(c, data, 0, data.length)));
      }
    }
  }

  @Test
  void aCompositeChecksumIsTheChecksumOfThePartsChecksumsWithTheirCount() {
    // The values AWS gives for three parts of 5 MiB of 'A', 'B' and 'C' (Ceph's s3-tests).
    List<String> parts = List.of("275VF5loJr1YYawit0XSHREhkFXYkkPKGuoK0x9VKxI=", "mrHwOfjTL5Zwfj74F05HOQGLdUb7E5szdCbxgUSq6NM=",
        "Vw7oB/nKQ5xWb3hNgbyfkvDiivl+U+/Dft48nfJfDow=");
    for (int i = 0; i < 3; i++) {
      byte[] part = String.valueOf((char) ('A' + i)).repeat(5 * 1024 * 1024).getBytes(StandardCharsets.US_ASCII);
      assertThat(Base64.getEncoder().encodeToString(checksum(BodyChecksum.SHA256, part, 0, part.length))).isEqualTo(parts.get(i));
    }
    ObjectChecksum.Stored composite = ObjectChecksum.ofParts(
        new ObjectChecksum.Algorithm(BodyChecksum.SHA256, ObjectChecksum.Type.COMPOSITE), parts, List.of(1L, 1L, 1L));
    assertThat(composite.value()).isEqualTo("uWBwpe1dxI4Vw8Gf0X9ynOdw/SS6VBzfWm9giiv1sf4=-3");
    assertThat(ObjectChecksum.Stored.of(Map.of(ObjectChecksum.HEADER, composite.encode()))).contains(composite);
  }

  @Test
  void theAlgorithmARequestNamesMustBeOne() throws S3Exception {
    assertThat(ObjectChecksum.requested(Map.of())).isNull();
    assertThat(ObjectChecksum.requested(Map.of("x-amz-checksum-crc32c", "AAAAAA=="))).isEqualTo(BodyChecksum.CRC32C);
    assertThat(ObjectChecksum.requested(Map.of("x-amz-trailer", "x-amz-checksum-sha1", "x-amz-sdk-checksum-algorithm", "sha1")))
        .isEqualTo(BodyChecksum.SHA1);
    assertThatThrownBy(() -> ObjectChecksum.requested(Map.of("x-amz-checksum-crc32", "AAAAAA==", "x-amz-sdk-checksum-algorithm", "SHA256")))
        .isInstanceOf(S3Exception.class).hasMessageContaining("two checksum algorithms");
    assertThatThrownBy(() -> ObjectChecksum.requested(Map.of("x-amz-checksum-algorithm", "MD4")))
        .isInstanceOf(S3Exception.class).hasMessageContaining("unknown checksum algorithm");
    assertThat(ObjectChecksum.uploadType(BodyChecksum.CRC64NVME, null)).isEqualTo(ObjectChecksum.Type.FULL_OBJECT);
    assertThat(ObjectChecksum.uploadType(BodyChecksum.CRC32, null)).isEqualTo(ObjectChecksum.Type.COMPOSITE);
    assertThatThrownBy(() -> ObjectChecksum.uploadType(BodyChecksum.SHA256, "FULL_OBJECT")).isInstanceOf(S3Exception.class);
    assertThatThrownBy(() -> ObjectChecksum.uploadType(BodyChecksum.CRC64NVME, "COMPOSITE")).isInstanceOf(S3Exception.class);
  }
}
