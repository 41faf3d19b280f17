import { s3RequestClass } from './s3-request-class.js';

describe('s3RequestClass (R2 billing classes)', () => {
  it.each([
    ['PutObjectCommand', 'A'],
    ['CreateMultipartUploadCommand', 'A'],
    ['UploadPartCommand', 'A'],
    ['CompleteMultipartUploadCommand', 'A'],
    ['CopyObjectCommand', 'A'],
    ['ListObjectsV2Command', 'A'],
    ['ListMultipartUploadsCommand', 'A'],
    ['GetObjectCommand', 'B'],
    ['HeadObjectCommand', 'B'],
    ['HeadBucketCommand', 'B'],
    ['DeleteObjectCommand', 'free'],
    ['DeleteObjectsCommand', 'free'],
    ['AbortMultipartUploadCommand', 'free'],
  ])('%s is %s', (command, expected) => {
    expect(s3RequestClass(command)).toBe(expected);
  });

  it('classes an operation R2 does not list by what it does: a read is B, a change is A', () => {
    expect(s3RequestClass('GetObjectLockConfigurationCommand')).toBe('B');
    expect(s3RequestClass('PutObjectRetentionCommand')).toBe('A');
  });
});
