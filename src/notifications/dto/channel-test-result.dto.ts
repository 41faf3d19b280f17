import { ApiProperty } from '@nestjs/swagger';

/** The answer of POST /api/notifications/channels/{id}/test: 200 whether or not the receiver took the message. */
export class ChannelTestResultDto {
  @ApiProperty({ description: 'true: the receiver accepted the test message' })
  delivered: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'HTTP 200: ok',
    description: 'What the receiver answered (status and a short excerpt of its body); null when it did not answer (no connection, timeout)',
  })
  answer: string | null;

  @ApiProperty({
    example: 'Delivered: the receiver answered HTTP 200',
    description:
      'In words: on failure the cause and what to do (host name not found, connection refused, TLS, 401/403: refused, 404: the webhook was deleted, timeout)',
  })
  message: string;

  @ApiProperty({ description: 'The entry of the delivery log that records this test (GET /api/notifications/deliveries)' })
  delivery_id: number;
}
