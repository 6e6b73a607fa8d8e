package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BoundedPipeTest {
  @Test
  void carriesBytesInOrderThroughASmallRing() throws Exception {
    long seed = Long.getLong("cairn.test.seed", System.nanoTime());
    System.out.println("BoundedPipeTest seed=" + seed
        + " (reproduce: ./mvnw -o -pl cairn-s3 test -Dtest=BoundedPipeTest -Dcairn.test.seed=" + seed + ")");
    byte[] data = new byte[200_000];
    new Random(seed).nextBytes(data);
    BoundedPipe pipe = new BoundedPipe(1000);
    Thread writer = Thread.ofVirtual().start(() -> {
      OutputStream out = pipe.output();
      try {
        Random r = new Random(seed + 1);
        for (int off = 0; off < data.length; ) {
          int n = Math.min(1 + r.nextInt(3000), data.length - off);
          out.write(data, off, n);
          off += n;
        }
        out.close();
      } catch (IOException e) {
        pipe.fail(e);
      }
    });
    assertThat(pipe.input().readAllBytes()).as("seed %d", seed).isEqualTo(data);
    writer.join();
  }

  @Test
  void writerFailureReachesTheReaderAsAnErrorNotAsEndOfStream() throws Exception {
    BoundedPipe pipe = new BoundedPipe(64);
    Thread writer = Thread.ofVirtual().start(() -> {
      try {
        pipe.output().write(new byte[100]);
      } catch (IOException e) {
        throw new AssertionError(e);
      }
      pipe.fail(new IOException("source disk vanished"));
    });
    InputStream in = pipe.input();
    assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class).hasRootCauseMessage("source disk vanished");
    writer.join();
  }

  @Test
  void readerStoppingFailsTheWriter() throws Exception {
    BoundedPipe pipe = new BoundedPipe(16);
    pipe.input().close();
    assertThatThrownBy(() -> pipe.output().write(new byte[32])).isInstanceOf(IOException.class);
  }
}
