package io.cairn.node.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.cairn.protocol.Request;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The node RPC decoder under random input: valid messages of every request type with bytes
 * flipped, cut short or spliced, and plain random bytes. Each must decode to a request or be
 * refused with the two errors the server maps to INVALID_ARGUMENT (a protobuf parse error, or
 * {@link IllegalArgumentException} from {@link WireCodec}), never anything else: no null
 * pointer, no index out of bounds, no hang.
 */
class WireDecoderFuzzTest {

    static final long SEED = Long.getLong("cairn.test.seed", System.nanoTime());
    static final int ROUNDS = 20_000;

    @Test
    void malformedWireMessagesAreRefusedCleanly() {
        System.out.println("WireDecoderFuzzTest seed=" + SEED
                + " (reproduce: ./mvnw -o -pl cairn-node test -Dtest=WireDecoderFuzzTest -Dcairn.test.seed=" + SEED + ")");
        Random random = new Random(SEED);
        List<Request> samples = List.of(
                new Request.Apply(9, WireCodecTest.P, "k", false, new byte[] {1, 2}, WireCodecTest.bytes("data"), 77, 1, WireCodecTest.V),
                new Request.Apply(9, WireCodecTest.P, "k", true, null, null, 0, 0, null),
                new Request.Mirror(3, WireCodecTest.P, WireCodecTest.record(), "n1", 42),
                new Request.Get(3, WireCodecTest.P, "k", true, true, 2),
                new Request.Scan(3, WireCodecTest.P, "i/", "i/a", 100, 1),
                new Request.Since(3, WireCodecTest.P, WireCodecTest.V, 512, "n2", 3, true, "n1", 42),
                new Request.RepairBlock(3, WireCodecTest.P, WireCodecTest.record()),
                new Request.HandOver(3, WireCodecTest.P, "n3", WireCodecTest.V),
                new Request.Ping(3, "n4"));
        int decoded = 0;
        int refused = 0;
        for (int i = 0; i < ROUNDS; i++) {
            Message sample = WireCodec.proto(samples.get(random.nextInt(samples.size())));
            byte[] wire = mutate(sample.toByteArray(), random);
            try {
                Message parsed = sample.getParserForType().parseFrom(wire);
                Request r = decode(parsed);
                assertThat(r).isNotNull();
                decoded++;
            } catch (InvalidProtocolBufferException | IllegalArgumentException expected) {
                refused++;
            } catch (RuntimeException e) {
                throw new AssertionError("round " + i + " (seed " + SEED + "): " + e + " decoding " + java.util.HexFormat.of().formatHex(wire), e);
            }
        }
        System.out.println("WireDecoderFuzzTest: " + decoded + " decoded, " + refused + " refused");
        assertThat(refused).as("the mutations reach the refusals").isPositive();
        assertThat(decoded).as("and the decoder").isPositive();
    }

    private static Request decode(Message parsed) {
        return switch (parsed) {
            case ApplyRequest a -> WireCodec.request(a);
            case MirrorRequest m -> WireCodec.request(m);
            case GetRequest g -> WireCodec.request(g);
            case ScanRequest s -> WireCodec.request(s);
            case SinceRequest s -> WireCodec.request(s);
            case RepairRequest b -> WireCodec.request(b);
            case HandOverRequest h -> WireCodec.request(h);
            case PingRequest p -> WireCodec.request(p);
            default -> throw new AssertionError(parsed.getClass());
        };
    }

    private static byte[] mutate(byte[] valid, Random random) {
        byte[] b = valid.clone();
        switch (random.nextInt(5)) {
            case 0 -> {
                int flips = 1 + random.nextInt(4);
                for (int j = 0; j < flips && b.length > 0; j++) {
                    b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 1 -> b = java.util.Arrays.copyOf(b, b.length == 0 ? 0 : random.nextInt(b.length));
            case 2 -> {
                byte[] junk = new byte[random.nextInt(64)];
                random.nextBytes(junk);
                int at = b.length == 0 ? 0 : random.nextInt(b.length);
                byte[] out = new byte[b.length + junk.length];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(junk, 0, out, at, junk.length);
                System.arraycopy(b, at, out, at + junk.length, b.length - at);
                b = out;
            }
            case 3 -> {
                b = new byte[random.nextInt(200)];
                random.nextBytes(b);
            }
            default -> {
                if (b.length > 0) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
            }
        }
        return b;
    }
}
