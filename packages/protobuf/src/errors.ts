// The one error this package throws. kube-apiserver answers an undecodable body with 400 BadRequest,
// so the API server maps every ProtobufError to that.

/** A body that is not valid Kubernetes protobuf, or an object that cannot be encoded as it. */
export class ProtobufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtobufError";
  }
}
