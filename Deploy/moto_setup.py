"""Prepares a moto S3 server for the tests: with the free unauthenticated calls moto allows before it starts
checking signatures, creates an IAM user with an allow-all policy and an access key; then creates the test bucket
with that key and proves a wrong secret is refused. Prints the credentials as shell assignments."""

import json
import sys

import boto3
from botocore.exceptions import ClientError

endpoint, bucket = sys.argv[1], sys.argv[2]
anonymous = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam = boto3.client("iam", **anonymous)
iam.create_user(UserName="cloudstrype")
iam.put_user_policy(
    UserName="cloudstrype",
    PolicyName="allow-all",
    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
)
key = iam.create_access_key(UserName="cloudstrype")["AccessKey"]

def s3(secret):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=secret)

s3(key["SecretAccessKey"]).create_bucket(Bucket=bucket)
try:
    s3("wrong-" + key["SecretAccessKey"]).list_objects_v2(Bucket=bucket)
    sys.exit("moto accepted a wrong secret: signature checking is off")
except ClientError as error:
    if error.response["Error"]["Code"] != "SignatureDoesNotMatch":
        sys.exit(f"unexpected answer to a wrong secret: {error.response['Error']}")
print(f"S3_TEST_ACCESS_KEY_ID={key['AccessKeyId']}")
print(f"S3_TEST_SECRET_ACCESS_KEY={key['SecretAccessKey']}")
