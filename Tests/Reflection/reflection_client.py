"""Asks a SafeMap service about itself through gRPC server reflection, as grpcurl would, with
the reflection client from PyPI (grpcio-reflection), and prints what it learnt as JSON.

Used by Tests/SafeMapRuntimeTests/ReflectionTests.swift; run by hand with
    .build-python/bin/python Tests/Reflection/reflection_client.py --port 50051
"""

import argparse
import json

import grpc
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)


def describe_with_v1alpha(channel, service, message):
    """`grpcurl list` and `grpcurl describe`: services, one service's methods, one message."""
    database = ProtoReflectionDescriptorDatabase(channel)
    pool = DescriptorPool(database)
    described = pool.FindServiceByName(service)
    fields = pool.FindMessageTypeByName(message).fields
    try:
        pool.FindMessageTypeByName("safemap.no.such.Message")
        unknown = "found"
    except KeyError:
        unknown = "not found"
    return {
        "services": sorted(database.get_services()),
        "methods": {
            m.name: [m.input_type.full_name, m.output_type.full_name] for m in described.methods
        },
        "fields": {f.name: f.number for f in fields},
        "unknown_message": unknown,
    }


def ask_v1(channel, requests):
    """The v1 service over the wire: its messages are v1alpha's under another package."""
    call = channel.stream_stream(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    answers = []
    for response in call(iter(requests), timeout=10):
        kind = response.WhichOneof("message_response")
        if kind == "list_services_response":
            answers.append(sorted(s.name for s in response.list_services_response.service))
        elif kind == "file_descriptor_response":
            names = []
            for serialized in response.file_descriptor_response.file_descriptor_proto:
                file = descriptor_pb2.FileDescriptorProto.FromString(serialized)
                names.append(file.name)
            answers.append(names)
        elif kind == "error_response":
            answers.append({"error_code": response.error_response.error_code})
        else:
            answers.append(kind)
    return answers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--service", default="safemap.account.v1.AccountService")
    parser.add_argument("--message", default="safemap.account.v1.LoginRequest")
    args = parser.parse_args()
    with grpc.insecure_channel(f"127.0.0.1:{args.port}") as channel:
        result = {"v1alpha": describe_with_v1alpha(channel, args.service, args.message)}
        request = reflection_pb2.ServerReflectionRequest
        result["v1"] = ask_v1(
            channel,
            [
                request(list_services=""),
                request(file_containing_symbol=args.service + ".WhoAmI"),
                request(file_by_filename="no/such/file.proto"),
                request(all_extension_numbers_of_type=args.message),
            ],
        )
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
