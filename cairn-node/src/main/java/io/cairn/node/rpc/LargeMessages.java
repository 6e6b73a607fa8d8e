package io.cairn.node.rpc;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decoding of large node messages (those carrying a chunk) with one copy instead of three.
 *
 * <p>gRPC's protobuf marshaller decodes a message of more than 4 MiB from a stream: the bytes
 * field of a 4 MiB chunk is read in 4 KiB pieces, joined into one array and copied once more into
 * a {@code ByteString}. Here a message of at least {@link #ALIASING_BYTES_MIN} is read whole into
 * one array that its bytes fields then share ({@link CodedInputStream#enableAliasing}): the chunk
 * is copied once, from the transport's buffers. Smaller messages, and messages handed over
 * in-process (not serialized at all), take gRPC's own path.
 */
public final class LargeMessages {

    /** Messages from this size on are read whole and aliased. */
    public static final int ALIASING_BYTES_MIN = 64 << 10;

    private LargeMessages() {}

    /** The service with every method's request decoded by {@link #marshaller}. */
    public static ServerServiceDefinition onServer(ServerServiceDefinition service) {
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
        for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
            b.addMethod(rebound(m));
        }
        return b.build();
    }

    private static <Q, A> ServerMethodDefinition<Q, A> rebound(ServerMethodDefinition<Q, A> m) {
        MethodDescriptor<Q, A> d = m.getMethodDescriptor();
        return ServerMethodDefinition.create(d.toBuilder(marshaller(d.getRequestMarshaller()), d.getResponseMarshaller()).build(),
                m.getServerCallHandler());
    }

    /** A client interceptor that decodes every response with {@link #marshaller}. */
    public static ClientInterceptor onClient() {
        Map<String, MethodDescriptor<?, ?>> methods = new ConcurrentHashMap<>();
        return new ClientInterceptor() {
            @Override
            @SuppressWarnings("unchecked")
            public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
                MethodDescriptor<Q, A> d = (MethodDescriptor<Q, A>) methods.computeIfAbsent(method.getFullMethodName(),
                        n -> method.toBuilder(method.getRequestMarshaller(), marshaller(method.getResponseMarshaller())).build());
                return next.newCall(d, options);
            }
        };
    }

    /** {@code m} with large messages read whole and aliased; {@code m} itself if it is not a protobuf marshaller. */
    @SuppressWarnings("unchecked")
    static <T> MethodDescriptor.Marshaller<T> marshaller(MethodDescriptor.Marshaller<T> m) {
        if (m instanceof Aliasing<?>) {
            return m;
        }
        if (m instanceof MethodDescriptor.PrototypeMarshaller<T> p && p.getMessagePrototype() instanceof MessageLite proto) {
            return new Aliasing<>(p, (Parser<T>) proto.getParserForType());
        }
        return m;
    }

    private record Aliasing<T>(MethodDescriptor.PrototypeMarshaller<T> delegate, Parser<T> parser)
            implements MethodDescriptor.PrototypeMarshaller<T> {

        @Override
        public InputStream stream(T value) {
            return delegate.stream(value);
        }

        @Override
        public T parse(InputStream stream) {
            if (stream instanceof Drainable || !(stream instanceof KnownLength)) {
                return delegate.parse(stream); // a message handed over in-process, or a stream of unknown length
            }
            try {
                int size = stream.available();
                if (size < ALIASING_BYTES_MIN) {
                    return delegate.parse(stream);
                }
                byte[] bytes = stream.readNBytes(size);
                if (bytes.length != size || stream.read() != -1) {
                    throw Status.INTERNAL.withDescription("message of " + size + " bytes ended at " + bytes.length + " or went on")
                            .asRuntimeException();
                }
                // Through a ByteString, so that the decoder knows the array is not changed afterwards and may share it.
                CodedInputStream in = com.google.protobuf.UnsafeByteOperations.unsafeWrap(bytes).newCodedInput();
                in.enableAliasing(true);
                in.setSizeLimit(Integer.MAX_VALUE);
                T message = parser.parseFrom(in);
                in.checkLastTagWas(0);
                return message;
            } catch (InvalidProtocolBufferException e) {
                throw Status.INTERNAL.withDescription("invalid protobuf message").withCause(e).asRuntimeException();
            } catch (IOException e) {
                throw Status.INTERNAL.withDescription("could not read the message").withCause(e).asRuntimeException();
            }
        }

        @Override
        public Class<T> getMessageClass() {
            return delegate.getMessageClass();
        }

        @Override
        public T getMessagePrototype() {
            return delegate.getMessagePrototype();
        }
    }
}
